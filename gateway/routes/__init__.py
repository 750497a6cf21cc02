"""The gateway's routes, one mixin class per area of the API."""
