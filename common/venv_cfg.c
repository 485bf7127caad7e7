/* venv_cfg.c: placeholder */
#include "config.h"
#include "venv_cfg.h"
