/*
 * cmd_produce.c: `jobctl produce`: execs jobctl-producer from the same
 * directory as the running jobctl (/proc/self/exe), with the same arguments and
 * no shell, so the orchestrator itself never links librdkafka.
 */
#include "cli/cmd.h"

#include "cli/cli_exec.h"

int cmd_produce(int argc, char **argv)
{
    return jc_cli_exec_sibling("jobctl-producer", argc, argv);
}
