/* log.h: logging with the calling function's name, after OpenSSH's log.h. */
#ifndef VENVD_LOG_H
#define VENVD_LOG_H

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Log to stderr as progname, showing messages up to level. */
void	log_init(const char *progname, enum log_level level);
/* Send log lines to the file at path (appending, mode 0600); -1 and errno on failure. */
int	log_open_file(const char *path);
/* Reopen the log file after rotation (SIGHUP); no-op when logging to stderr. */
int	log_reopen(void);
/* Change the verbosity. */
void	log_set_level(enum log_level level);
/* The current verbosity. */
enum log_level log_get_level(void);
/* Silence all output (the client's hook mode must print nothing). */
void	log_silence(void);

void	log_msg(enum log_level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	log_fatal(const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __func__, __VA_ARGS__)
#define log_warn(...)	log_msg(LOG_LEVEL_WARN, __func__, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __func__, __VA_ARGS__)
/* For the impossible only: logs and exits 1. */
#define fatal(...)	log_fatal(__func__, __VA_ARGS__)

#endif
