/*
 * banned.h: force-included into every translation unit (git banned.h).
 * These functions are unsafe, hide errors, or (system/popen) would put a
 * shell between jobctl and a task. Use the listed replacements.
 */
#ifndef JOBCTL_UTIL_BANNED_H
#define JOBCTL_UTIL_BANNED_H

/* System headers first, so their own declarations are not rewritten. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JU_BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) JU_BANNED(strcpy)      /* use memcpy or ju_buf */
#undef strcat
#define strcat(x, y) JU_BANNED(strcat)      /* use ju_buf */
#undef strncpy
#define strncpy(x, y, n) JU_BANNED(strncpy) /* use snprintf */
#undef sprintf
#define sprintf(...) JU_BANNED(sprintf)     /* use snprintf */
#undef vsprintf
#define vsprintf(...) JU_BANNED(vsprintf)   /* use vsnprintf */
#undef strtok
#define strtok(x, y) JU_BANNED(strtok)      /* use strtok_r */
#undef gets
#define gets(x) JU_BANNED(gets)
#undef atoi
#define atoi(x) JU_BANNED(atoi)             /* use strtol with checks */
#undef atol
#define atol(x) JU_BANNED(atol)
#undef atof
#define atof(x) JU_BANNED(atof)             /* use strtod */
#undef localtime
#define localtime(x) JU_BANNED(localtime)   /* use localtime_r */
#undef gmtime
#define gmtime(x) JU_BANNED(gmtime)         /* use gmtime_r */
#undef ctime
#define ctime(x) JU_BANNED(ctime)
#undef asctime
#define asctime(x) JU_BANNED(asctime)
#undef system
#define system(x) JU_BANNED(system)         /* no shell: use exec */
#undef popen
#define popen(x, y) JU_BANNED(popen)
#undef mktemp
#define mktemp(x) JU_BANNED(mktemp)         /* use mkstemp */
#undef tmpnam
#define tmpnam(x) JU_BANNED(tmpnam)

#endif
