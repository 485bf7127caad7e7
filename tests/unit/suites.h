/* suites.h: every Check suite in the one unit-test binary, one per module. */
#ifndef VENVD_SUITES_H
#define VENVD_SUITES_H

#include <check.h>

Suite	*suite_cache(void);
Suite	*suite_conf(void);
Suite	*suite_db(void);
Suite	*suite_deny_list(void);
Suite	*suite_digest(void);
Suite	*suite_frame(void);
Suite	*suite_git_check(void);
Suite	*suite_locator(void);
Suite	*suite_locator_env(void);
Suite	*suite_locator_pdm(void);
Suite	*suite_locator_poetry(void);
Suite	*suite_locator_pipenv(void);
Suite	*suite_locator_virtualenvwrapper(void);
Suite	*suite_locator_pyenv(void);
Suite	*suite_locator_venv_file(void);
Suite	*suite_paths(void);
Suite	*suite_request(void);
Suite	*suite_resolve(void);
Suite	*suite_rpc(void);
Suite	*suite_sanitize(void);
Suite	*suite_shell_quote(void);
/* shell_quote read back by a real shell (bash, zsh or fish), which must be installed. */
Suite	*suite_shell_round_trip(const char *shell);
Suite	*suite_sizer(void);
Suite	*suite_small_file(void);
Suite	*suite_toml(void);
Suite	*suite_transition(void);
Suite	*suite_inshell(void);
Suite	*suite_json_lite(void);
Suite	*suite_trust(void);
Suite	*suite_utf8(void);
Suite	*suite_venv_cfg(void);
Suite	*suite_watch(void);

#endif
