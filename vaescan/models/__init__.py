"""Models: the beta-VAE over median beats and the SCAN association model (pyro), their training loop,
run folders, run configs and predictions. Models compute and return; they draw nothing."""
