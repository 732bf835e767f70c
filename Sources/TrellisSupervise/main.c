// trellis-supervise RUNNER_PID NEW_GROUP DIRECTORY PROGRAM [ARG]...
// Started by `trellis run` (posix_spawn, so starting it costs no copy of the runner's memory) to run one
// stage command in DIRECTORY: kills the command's process group when the runner dies, even by SIGKILL,
// and exits with the command's status.
#include <stdio.h>
#include <stdlib.h>
#include "CProcess.h"

extern char **environ;

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: trellis-supervise RUNNER_PID NEW_GROUP DIRECTORY PROGRAM [ARG]...\n");
        return 2;
    }
    pid_t runner = (pid_t)strtol(argv[1], NULL, 10);
    int new_group = argv[2][0] == '1';
    trellis_supervise(argv[4], argv + 4, environ, argv[3], -1, new_group, -1, runner, trellis_death_signal());
    return 127;
}
