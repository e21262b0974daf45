from paramcalc.cli import app

app(prog_name="paramcalc")
