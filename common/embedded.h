/* embedded.h: files compiled into a program (hooks, schema migrations). */
#ifndef VENVD_EMBEDDED_H
#define VENVD_EMBEDDED_H

struct embedded_file {
	const char *name;	/* basename, e.g. "venvd.bash" or "001-init.sql" */
	const char *text;
};

#endif
