"""The built-in Chicago taxi example: will a rider tip more than a fifth of the fare?

`trainer.taxi.model` is its TFX user module, holding `preprocessing_fn` for
Transform and `run_fn` for the Trainer, as any team's module does.
"""
