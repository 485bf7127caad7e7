/* bench_rpc.c: placeholder */
int main(void) { return 0; }
