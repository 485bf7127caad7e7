/* main.c: placeholder */
#include "config.h"
#include "daemon.h"
int main(void) { return 1; }
