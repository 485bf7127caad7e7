/* rpc.c: placeholder */
#include "config.h"
#include "rpc.h"
