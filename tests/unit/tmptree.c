/* tmptree.c: build throwaway directory trees for tests (filled in with the resolver tests). */
#include "config.h"

#include "tmptree.h"
