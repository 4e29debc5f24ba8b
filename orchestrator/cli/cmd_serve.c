/*
 * cmd_serve.c: placeholder until the owning module lands (TODO(#issue)).
 */
#include "cli/cmd.h"

#include <stdio.h>

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    fprintf(stderr, "jobctl: '%s' is not implemented yet\n", argv[0]);
    return 2;
}
