/* verdict.h: trust verdicts (verdict.c). */
#ifndef VENVD_DAEMON_VERDICT_H
#define VENVD_DAEMON_VERDICT_H

#include <stddef.h>
#include <jansson.h>

#include "resolve.h"

struct daemon;
struct verdicts;
struct venv_info;
/* The trust state (decisions in the index, the git check cache). */
struct verdicts *verdict_new(struct daemon *);
/* An empty deny list in state_dir, written before a new index is made. */
void	verdict_export_none(const char *state_dir);
void	verdict_free(struct verdicts *);
/*
 * Call fn(ctx, key) when the git check for key (as verdict_git_key
 * gives it) settles, after the generation moved: held resolves may go on.
 */
void	verdict_on_settled(struct verdicts *, void (*fn)(void *ctx, const char *key),
	    void *ctx);
/*
 * Have fn(ctx, path) told when the verdict of the venv at path may have
 * changed with nothing else about it (a git check settled, a trust
 * decision moved with it), or fn(ctx, NULL) when any venv's may have (a
 * decision given). One hook.
 */
void	verdict_on_trust(struct verdicts *, void (*fn)(void *ctx, const char *path),
	    void *ctx);
/*
 * Judge a resolved venv: a malloc'd "trusted", "untrusted:<reason>" or
 * "denied". Clears *cacheable while the git check runs in the background.
 */
char	*verdict_judge(struct verdicts *, const struct venv_info *, int *cacheable);
/*
 * The key a resolve waits on (server_wait(); verdict_on_settled names
 * it when git is done) while git checks the venv at path: its real
 * path, to free; NULL if it cannot be had.
 */
char	*verdict_git_key(struct verdicts *, const char *path);
/* Store allow (allow != 0) or deny for the venv; allowing one that fails the hard rule is refused. 0 or -1 with err. */
int	verdict_decide(struct verdicts *, const struct venv_info *, int allow,
	    char *err, size_t errlen);
/* The decisions: [{"path","decision","dev","ino","decided"}...]. */
json_t	*verdict_decisions(struct verdicts *);
/*
 * The venv at from was moved to to (index_on_move): a deny follows it;
 * an allow only when same_project and no repository around to could
 * track it, else it is dropped and the venv judged afresh.
 */
void	verdict_moved(struct verdicts *, const char *from, const char *to,
	    int same_project);
/* Set a venv record's "trust" as resolve would, without running git (left as is then). */
void	verdict_fill_record(struct verdicts *, json_t *rec);

#endif
