"""Reads every table of the given run folders with the oldest pyarrow geotraj
supports and with polars, pandas and duckdb, and checks what notebooks rely
on: plain (large_)string columns, null rather than NaN, `experiment` first,
integer and boolean columns where the values are, and one schema per table
kind across runs. Exits non-zero with one line per problem."""
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

TYPED = {"final_nearest": pa.int64(), "memorised": pa.bool_(), "order": pa.int64(), "step": pa.int64(), "trajectory": pa.int64()}

def main(dirs):
    problems, schemas, count = [], defaultdict(dict), 0
    for d in dirs:
        for f in sorted(Path(d).glob("*.parquet")):
            count += 1
            t = pq.read_table(f)
            if t.column_names[:1] != ["experiment"]:
                problems.append(f"{f}: first column is {t.column_names[:1]}, not experiment")
            for field in t.schema:
                col = t.column(field.name)
                if pa.types.is_floating(field.type) and pc.any(pc.is_nan(col)).as_py():
                    problems.append(f"{f}: {field.name} holds NaN (undefined must be null)")
                if not (pa.types.is_floating(field.type) or pa.types.is_integer(field.type)
                        or pa.types.is_boolean(field.type) or pa.types.is_large_string(field.type)
                        or pa.types.is_string(field.type)):
                    problems.append(f"{f}: {field.name} has type {field.type}")
                want = TYPED.get(field.name)
                if want is not None and field.type != want:
                    problems.append(f"{f}: {field.name} is {field.type}, expected {want}")
            schemas[f.name][str(f)] = [(x.name, str(x.type)) for x in t.schema]
            # The other readers agree on the shape.
            rows = t.num_rows
            assert pl.read_parquet(f).height == rows
            assert len(pandas.read_parquet(f)) == rows
            assert duckdb.sql(f"select count(*) from '{f}'").fetchall()[0][0] == rows
    for kind, by_file in schemas.items():
        distinct = {tuple(s) for s in by_file.values()}
        if len(distinct) > 1 and kind in ("steps.parquet", "trajectories.parquet", "sweep.parquet"):
            problems.append(f"{kind}: {len(distinct)} schemas across {sorted(by_file)}")
    # Tables of many runs concatenate.
    for kind in ("steps.parquet", "trajectories.parquet"):
        files = sorted(schemas.get(kind, {}))
        if len(files) > 1:
            pl.concat([pl.read_parquet(f) for f in files], how="vertical")
    print(f"check_tables: {count} tables in {len(dirs)} runs read with pyarrow {pa.__version__}, "
          f"polars {pl.__version__}, pandas {pandas.__version__}, duckdb {duckdb.__version__}")
    for p in problems:
        print("problem:", p)
    return 1 if problems else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
