/* conf.c: placeholder */
#include "config.h"
#include "conf.h"
