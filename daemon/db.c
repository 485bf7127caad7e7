/* db.c: placeholder */
#include "config.h"
#include "daemon.h"
