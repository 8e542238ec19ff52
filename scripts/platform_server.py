#!/usr/bin/env python3
# This file is part of sale_chain.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Serve the local e-invoicing platform (PA) on 127.0.0.1 (for the demo
and by hand): see tests/platform_server.py"""
import os
import runpy

if __name__ == '__main__':
    runpy.run_path(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
            'tests', 'platform_server.py'), run_name='__main__')
