"""Models: the beta-VAE over median beats and the SCAN association model (pyro)."""
