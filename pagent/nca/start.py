"""``pagent init --at workshop-start``: the system as the workshop finds it (issue 12 §6).

The workshop's AT-TLS section starts with the RACF members and data sets in place, PAGENT
configured to read the file the Configuration Assistant will install, no AT-TLS policy yet,
and an empty backing store. This takes a root laid out by ``pagent init`` there: it removes
the embedded policy, points the image file at the NCA's install file and creates the store.
"""

from __future__ import annotations

import re
from pathlib import Path

from pagent.nca.install import default_file
from pagent.nca.model import Store
from pagent.nca.store import save, store_path, write_atomic
from pagent.policy.chain import load_chain, resolve_zos_path

AT_CHOICES = ("default", "workshop-start")
WORKSHOP = ("V2R3", "WG31", "TCPIP1", "USER1")  # release, image, stack, backing store


def workshop_start(root: Path) -> list[str]:
    """Turn a fresh default root into the workshop's starting point; what was done."""
    release, image, stack, store = WORKSHOP
    done: list[str] = []
    chain = load_chain(root / "etc" / "pagent.conf", root)
    images = chain.main.images if chain.main else ()
    config = next(i for i in images if i.image.name == stack)
    for policy in config.policy_files:
        policy.path.unlink(missing_ok=True)
        done.append(f"removed {policy.zos_path}: no AT-TLS policy is installed yet")
    target = default_file(release, image, stack)
    holder = config.image_path or root / "etc" / "pagent.conf"
    text = holder.read_text("utf-8")
    new = re.sub(r"(?m)^(\s*TTLSConfig\s+)\S+", lambda m: m.group(1) + target, text, count=1)
    write_atomic(holder, new)
    done.append(f"{holder.relative_to(root)} names {target}, where Install will write")
    assert not resolve_zos_path(target, root).exists()
    path = store_path(root, store)
    save(path, Store(store))
    done.append(f"empty backing store {store}: {path.relative_to(root)}")
    return done
