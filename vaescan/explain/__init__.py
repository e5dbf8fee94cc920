"""Explanations of black-box models: Jacobian attributions on signals and images, per lead and per wave.

Planned (not yet built): attributions follow captum's shape, one call
``attribute(inputs, target=...)`` returning a tensor shaped like the input.
"""
