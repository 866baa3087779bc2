"""``gankit serve``: the run explorer and the live 2D lab in a browser page (docs/serve.md)."""
