/*
 * trust.h: the checks on a venv that need no history, shared by the
 * daemon and the client's fallback.
 *
 * The hard rule (every trust mode): the venv root, its bin/ and its
 * pyvenv.cfg must each be owned by us or by root and writable by
 * neither group nor others (group write is fine when the group is our
 * user private group: our primary group, no other member, no other
 * user's primary group). Each is checked where it really is: when
 * .venv (or bin/, or pyvenv.cfg) is a symlink, its target is checked.
 *
 * The shadow rule (trust = auto): bin/ holds no executable named like a
 * core system command (trust_core_commands: coreutils, sudo, su, ssh,
 * git, the shells, env and similar). python*, pip*, activate*,
 * deactivate and other names are fine.
 *
 * Reasons are short lower-case phrases that read after "not activating
 * VENV: ", e.g. "bin/ is writable by group" or "bin/ls shadows a system
 * command". They may hold names from the venv: sanitise before printing.
 */
#ifndef VENVD_TRUST_H
#define VENVD_TRUST_H

#include <sys/types.h>

#include <stddef.h>

/* The core command names, sorted (strcmp), ended by NULL. */
extern const char *const trust_core_commands[];

/* Is name a core system command a venv must not shadow? */
int	trust_is_core_command(const char *name);

/*
 * Apply the hard rule to the venv at venv (symlinks followed). Returns 0
 * when it passes, -1 with the reason when it does not (including when
 * a part cannot be examined).
 */
int	trust_hard_rule(const char *venv, char *reason, size_t len);

/*
 * Apply the shadow rule: 0 when bin/ shadows nothing, 1 with the reason
 * naming the first shadowing executable (in readdir order of a sorted
 * scan: the smallest name), -1 with the reason when bin/ cannot be read.
 */
int	trust_shadow_rule(const char *venv, char *reason, size_t len);

/*
 * The venv's identity: the real path (malloc'd into *real), device,
 * inode and birth time in nanoseconds (statx; 0 where the filesystem
 * does not record it). The birth time tells a venv deleted and made
 * again apart even when the filesystem reuses the inode number.
 * -1 with errno.
 */
struct trust_id {
	dev_t		 dev;
	ino_t		 ino;
	long long	 born;
};
int	trust_identity(const char *venv, char **real, struct trust_id *id);

#endif
