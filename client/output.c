/* output.c: placeholder */
#include "config.h"
#include "client.h"
