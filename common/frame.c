/* frame.c: placeholder */
#include "config.h"
#include "frame.h"
