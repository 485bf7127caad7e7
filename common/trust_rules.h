/*
 * trust_rules.h: the checks on a venv that need no history, shared by the
 * daemon and the client's fallback.
 *
 * The hard rule (every trust mode): the venv root, its bin/, every entry
 * of bin/ and its pyvenv.cfg must each be owned by us or by root and
 * writable by neither group nor others (group write is fine when the
 * group is our user private group: our primary group, no other member,
 * no other user's primary group). Each is checked where it really is:
 * when .venv (or bin/, or pyvenv.cfg) is a symlink, its target is
 * checked. A symlink in bin/ is checked where it finally leads: that
 * file passes the same test, and so does every directory above it up to
 * / (sticky ones may be writable by others). A dangling link passes
 * unless someone else could create its missing target.
 *
 * The shadow rule (trust = auto): bin/ holds no executable named like a
 * core system command (trust_rule_core_commands: coreutils, sudo, su, ssh,
 * git, the shells, package managers, runtimes such as node and perl, and
 * similar), compared without regard to case. python*, pip*, activate*,
 * deactivate and other names are fine.
 *
 * Reasons are short lower-case phrases that read after "not activating
 * VENV: ", e.g. "bin/ is writable by group" or "bin/ls shadows a system
 * command". They may hold names from the venv: sanitise before printing.
 */
#ifndef VENVD_TRUST_RULES_H
#define VENVD_TRUST_RULES_H

#include <sys/types.h>

#include <stddef.h>

/* The core command names, sorted (strcmp), ended by NULL. */
extern const char *const trust_rule_core_commands[];

/* Is name (in any case) a core system command a venv must not shadow? */
int	trust_rule_core_command(const char *name);

/*
 * Apply the hard rule to the venv at venv (symlinks followed). Returns 0
 * when it passes, -1 with the reason when it does not (including when
 * a part cannot be examined).
 */
int	trust_rule_hard(const char *venv, char *reason, size_t len);

/*
 * The hard rule for a file that points at a venv (a .venv file), given
 * the fstat of what was read: a regular file owned by us or root and
 * writable by neither group nor others (our user private group aside).
 * 0, or -1 with the reason ("it is writable by others").
 */
struct stat;
int	trust_rule_pointer(const struct stat *st, char *reason, size_t len);

/*
 * Could a git repository hold the venv at real (a real path)? 1 when real
 * or a directory above it up to / has a .git entry (a directory, or the
 * file of a submodule or linked worktree) or looks like a bare
 * repository (HEAD, objects and refs), or when that cannot be told;
 * else 0. A few lstat calls and no git: what the client's fallback asks
 * before it runs git (common/git_check.h), so that a venv outside every
 * repository never starts git.
 */
int	trust_rule_in_repository(const char *real);

/*
 * Apply the shadow rule: 0 when bin/ shadows nothing, 1 with the reason
 * naming the first shadowing executable (in readdir order of a sorted
 * scan: the smallest name), -1 with the reason when bin/ cannot be read.
 */
int	trust_rule_shadow(const char *venv, char *reason, size_t len);

/*
 * The executables in bin/ that shadow a core command, sorted (strcmp),
 * malloc'd into *names (free with trust_rule_names_free). 0, or -1 with the
 * reason when bin/ cannot be read. Such names are case variants of
 * trust_rule_core_commands entries, so they hold no newline or slash.
 */
int	trust_rule_shadow_names(const char *venv, char ***names, size_t *count,
	    char *reason, size_t len);
void	trust_rule_names_free(char **names, size_t count);

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
int	trust_rule_identity(const char *venv, char **real, struct trust_id *id);

#endif
