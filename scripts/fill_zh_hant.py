"""Fill the Traditional Chinese message catalogue from the Simplified msgids with OpenCC.

The interface's source strings are Simplified Chinese; Traditional is always generated, except
entries marked with a translator comment "manual" (kept as written by hand).
"""

import sys

import opencc
import polib

converter = opencc.OpenCC("s2t")
catalogue = polib.pofile(sys.argv[1])
for entry in catalogue:
    if "manual" in (entry.tcomment or ""):
        continue
    if entry.msgid_plural:
        entry.msgstr_plural = {
            0: converter.convert(entry.msgid),
            1: converter.convert(entry.msgid_plural),
        }
    else:
        entry.msgstr = converter.convert(entry.msgid)
    if "fuzzy" in entry.flags:
        entry.flags.remove("fuzzy")
catalogue.save()
