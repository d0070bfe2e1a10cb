from arcbench.cli import entry

entry()
