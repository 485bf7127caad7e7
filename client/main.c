/* main.c: placeholder */
#include "config.h"
#include "client.h"
int main(void) { return 1; }
