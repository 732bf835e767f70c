#ifndef TRELLIS_CPROCESS_H
#define TRELLIS_CPROCESS_H
#include <sys/types.h>

/// Starts `path` with `argv` and `envp` in `directory`: stdin from /dev/null, stdout and stderr to `log_fd`
/// (when >= 0). The command runs under a small supervising process (the returned pid), which leads a new
/// process group holding the command when `new_group` is set, exits with the command's status (or dies by
/// its signal) and, when this process dies, even by SIGKILL, kills the command's process group (Linux
/// parent-death signal). Returns the supervisor's pid, or -errno when the command could not be started
/// (fork, chdir or exec failed).
pid_t trellis_spawn_supervised(const char *path, char *const argv[], char *const envp[], const char *directory,
                               int log_fd, int new_group);

/// The supervisor itself (never returns): blocks every signal, arranges `death_signal` on the death of
/// `runner`, starts the command and mirrors its exit; on `death_signal` it kills the command's group.
/// `err_fd` (or -1) receives errno if the command cannot start. `trellis-supervise` runs this after exec.
void trellis_supervise(const char *path, char *const argv[], char *const envp[], const char *directory,
                       int log_fd, int new_group, int err_fd, pid_t runner, int death_signal);

/// The signal a supervisor receives when the runner dies.
int trellis_death_signal(void);

#endif
