export const LAB_USAGE = `usage: ballast lab <subcommand> [args]

  list                                  print the lab state (lab.json)
  exec <vm> [--timeout <s>] -- <cmd...>  run a shell command in the guest; prints its output,
                                        exits with its exit code (default timeout 60 s)
  mem <vm>                              how much memory the guest's consumers hold (JSON)
  mem <vm> --consume <MiB> [--rate <MiB/s>] [--wait]
                                        write MiB into the guest's tmpfs at a rate (default 20 MiB/s)
                                        in the background; --wait waits until written
  mem <vm> --free                       stop the consumers and delete what they wrote
  cpu <vm>                              the guest's CPU load generator (JSON)
  cpu <vm> --duty <0-100>               run a niced busy loop <duty>% of the time
  cpu <vm> --stop                       stop it
  health [<vm>] [--timeout <s>]         alive | panicked | oom-killed | unreachable per VM (JSON);
                                        exit 0 when all are alive, 1 otherwise

env: LAB_STATE_DIR (default /var/lib/ballast-lab). Errors exit 2.`;
