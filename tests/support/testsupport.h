/*
 * testsupport.h: helpers shared by cmocka unit tests: temp directories,
 * file writing, paths to the build and source trees.
 */
#ifndef JOBCTL_TESTS_TESTSUPPORT_H
#define JOBCTL_TESTS_TESTSUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

/* mkdtemp under $TMPDIR; returns a malloc'd path. */
char *jt_tmpdir(void);
/* rm -r (no shell). */
void jt_rmtree(const char *path);
/* Write a file (creating parent dirs); asserts on failure. */
void jt_write_file(const char *path, const char *content);
/* Read a whole file; NULL if missing. Caller frees. */
char *jt_read_file(const char *path, size_t *len);
/* $JOBCTL_SOURCE_DIR, $JOBCTL_SHARED_DIR, $JOBCTL_BIN_DIR (or "."). */
const char *jt_source_dir(void);
const char *jt_shared_dir(void);
const char *jt_bin_dir(void);

#endif
