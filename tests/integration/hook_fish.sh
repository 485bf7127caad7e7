#!/bin/bash
# placeholder: not written yet
exit 77
