/*
 * exec.h: low-level helpers of the local executor shared with the run
 * engine: process-group liveness and kill, reading /proc measures.
 */
#ifndef JOBCTL_JOBCTL_EXEC_H
#define JOBCTL_JOBCTL_EXEC_H

#include <stdbool.h>
#include <stdint.h>

/* True when some process is still in process group pgid. */
bool jc_exec_group_alive(int pgid);
/* SIGKILL the group (ESRCH ignored). */
void jc_exec_group_kill(int pgid);
/* /proc/<pid>/io read_bytes/write_bytes; -1 each when unavailable. */
void jc_exec_proc_io(int pid, int64_t *read_bytes, int64_t *write_bytes);
/* mkdir -p; 0 or JC_EIO. */
int jc_exec_mkdirs(const char *path, int mode);

#endif
