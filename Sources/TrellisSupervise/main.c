// trellis-supervise: stops the stage commands of a `trellis run` when the runner dies, even by SIGKILL.
//
//   trellis-supervise --watch TOKEN
//     One per runner process, started by posix_spawn (no copy of the runner's memory) with stdin the read
//     end of a pipe only the runner can write. End of file there means the runner is gone (exited or
//     killed, even by SIGKILL): then it kills every process whose environment holds
//     TRELLIS_RUN_TOKEN=TOKEN, the commands the runner started and everything they started.
//   trellis-supervise RUNNER_PID NEW_GROUP DIRECTORY PROGRAM [ARG]...
//     Runs one command under a supervisor of its own (see trellis_supervise in CProcess).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "CProcess.h"

extern char **environ;

/// Whether /proc/PID/environ holds `needle` (a whole NUL-terminated entry).
static int has_entry(const char *pid, const char *needle, size_t needle_len) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/environ", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    static char buf[1 << 16];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i += strlen(buf + i) + 1) {
        if (strncmp(buf + i, needle, needle_len) == 0 && buf[i + needle_len] == 0) return 1;
    }
    return 0;
}

/// Kills every process carrying the token; repeats while it finds some (they may fork meanwhile).
static void kill_marked(const char *token) {
    char needle[256];
    int len = snprintf(needle, sizeof needle, "TRELLIS_RUN_TOKEN=%s", token);
    if (len <= 0 || len >= (int)sizeof needle) return;
    pid_t me = getpid();
    for (int round = 0; round < 20; round++) {
        int found = 0;
        DIR *d = opendir("/proc");
        if (!d) return;
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
            pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
            if (pid == me) continue;
            if (has_entry(e->d_name, needle, (size_t)len)) { kill(pid, SIGKILL); found = 1; }
        }
        closedir(d);
        if (!found) return;
        usleep(10000);
    }
}

/// Waits for end-of-file on stdin, the read end of a pipe whose only write end the runner holds: it
/// closes when the runner exits or is killed, whatever thread started this watchdog.
static int watch(const char *token) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    char buf[64];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0 || (n < 0 && errno != EINTR)) break;
    }
    kill_marked(token);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--watch") == 0) return watch(argv[2]);
    if (argc < 5) {
        fprintf(stderr, "usage: trellis-supervise --watch TOKEN   (stdin: a pipe the runner holds open)\n"
                        "       trellis-supervise RUNNER_PID NEW_GROUP DIRECTORY PROGRAM [ARG]...\n");
        return 2;
    }
    pid_t runner = (pid_t)strtol(argv[1], NULL, 10);
    int new_group = argv[2][0] == '1';
    trellis_supervise(argv[4], argv + 4, environ, argv[3], -1, new_group, -1, runner, trellis_death_signal());
    return 127;
}
