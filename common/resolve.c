/* resolve.c: placeholder */
#include "config.h"
#include "resolve.h"
