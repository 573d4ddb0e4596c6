"""`ecsenv matrix`: the environments as a GitHub Actions matrix, so CI fans out over runners, not one machine."""

import json

from bootstrap.errors import EXIT_OK


def cmd_matrix(ctx):
    from bootstrap.lifecycle.matrix import matrix

    print(json.dumps(matrix(ctx.project_dir, ctx.config, ctx.args.changed_since), separators=(",", ":")))
    return EXIT_OK


COMMANDS = {"matrix": cmd_matrix}
