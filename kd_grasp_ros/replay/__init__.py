"""Recorded bags: reading/writing (rosbags), publishing with /clock, offline processing, the sample bag."""
