//! With the `serde` feature, a solver is read from its name with the
//! reference defaults (as `Solver::parse`), and written as that name; a
//! solver with other parameters is written as `describe()`, for reading by
//! people, not back by serde.

use super::kind::Solver;
use super::params::SolverParams;
use serde::de::Error;

impl serde::Serialize for Solver {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if Solver::parse(self.name()) == Some(*self) {
            s.serialize_str(self.name())
        } else {
            s.serialize_str(&self.describe())
        }
    }
}

impl<'de> serde::Deserialize<'de> for Solver {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Solver::new(&name, &SolverParams::default()).map_err(|e| D::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use crate::{GitsCost, ScheduleEnd, ScheduleKind, Solver};

    fn read<T: serde::de::DeserializeOwned>(name: &str) -> Result<T, String> {
        serde_json::from_value(serde_json::json!(name)).map_err(|e| e.to_string())
    }

    fn written<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_value(v)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn names_round_trip_through_serde() {
        for name in Solver::NAMES {
            let s: Solver = read(name).unwrap();
            assert_eq!(Some(s), Solver::parse(name));
            // Aliases (ddim = euler) are written under the family's name; an
            // alias with other defaults (ddpm) is written as its description.
            match written(&s) {
                w if w.contains('(') => assert_eq!(w, s.describe()),
                w => assert_eq!(read::<Solver>(&w).unwrap(), s),
            }
        }
        assert_eq!(written(&Solver::Ipndm { order: 3 }), "ipndm(order=3)");
        let e = read::<Solver>("rk45").unwrap_err();
        assert!(e.contains("unknown solver \"rk45\""), "{e}");
        for name in ScheduleKind::NAMES {
            let k: ScheduleKind = read(name).unwrap();
            assert_eq!((k.name(), written(&k).as_str()), (*name, *name));
        }
        for name in ScheduleEnd::NAMES {
            let e: ScheduleEnd = read(name).unwrap();
            assert_eq!(written(&e), *name);
        }
        for name in GitsCost::NAMES {
            let c: GitsCost = read(name).unwrap();
            assert_eq!((c.name(), written(&c).as_str()), (*name, *name));
        }
        assert!(read::<GitsCost>("l3").is_err());
    }
}
