"""Several machines, one figure: each machine publishes its share into a folder a sync tool keeps
in step (Syncthing, Dropbox, a network share) and folds every other machine's share in.

Never imported by the render: the background refresh (step.py) folds the others into one small
file, `<cache>/sync/line`, which the render reads (context.py `Context.other_machines`).

    settings.py   [sync] config and environment
    machine.py    this machine's id (generated once, kept in the state dir)
    fmt.py        the folder's files: manifest and day files, format 1, names to ignore
    publish.py    this machine's share, from the index's hour files
    fold.py       the other machines' shares, deduplicated, into the line and the reports' days
    view.py       `costline sync status` rows
    step.py       what the background refresh runs
"""
