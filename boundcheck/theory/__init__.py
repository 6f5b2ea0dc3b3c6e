"""Pure math of the MBPO bounds: Theorems 4.1–4.3, k*, and exact finite-MDP quantities."""
