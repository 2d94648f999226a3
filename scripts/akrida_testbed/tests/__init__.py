"""Offline tests of the testbed package (stdlib unittest, no venv, no server):
python3 -m unittest discover -s scripts/akrida_testbed/tests -t scripts"""
