"""GG-CNN grasp networks and their knowledge distillation: models, data, loss, metric, detector."""
