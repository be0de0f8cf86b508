from pipeline.cli.main import program

program()
