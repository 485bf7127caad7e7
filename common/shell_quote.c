/* shell_quote.c: placeholder */
#include "config.h"
#include "shell_quote.h"
