from mcpharden.cli import run

run()
