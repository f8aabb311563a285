//! Facts about an indicator that change how it may be used.
//!
//! Some flags are intrinsic to the value (a documentation IP is always one);
//! others record what canonicalisation did to the input (host bits cleared, a
//! scheme assumed). None of them changes the canonical key.

use std::fmt;

use serde::{Deserialize, Serialize, Serializer};

/// One fact about an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// Private address space (RFC 1918, RFC 4193 unique local).
    Private,
    /// Loopback.
    Loopback,
    /// Link-local.
    LinkLocal,
    /// Documentation range or name (RFC 5737, RFC 3849, RFC 9637, RFC 2606 `example.*`).
    Documentation,
    /// Other reserved or special-purpose space (RFC 6890), or a reserved ASN.
    Reserved,
    /// Multicast.
    Multicast,
    /// The unspecified address.
    Unspecified,
    /// The limited broadcast address.
    Broadcast,
    /// Carrier-grade NAT shared address space (RFC 6598).
    SharedAddressSpace,
    /// Benchmarking range (RFC 2544, RFC 5180).
    Benchmarking,
    /// A reserved or special-use top-level domain (`.test`, `.invalid`, `.localhost`, `.local`, `.internal`, …).
    ReservedTld,
    /// The public suffix is not on the Public Suffix List.
    UnknownSuffix,
    /// A private-use ASN (RFC 6996).
    PrivateAsn,
    /// A CIDR was written with host bits set; they were cleared.
    HostBitsSet,
    /// A URL was written without a scheme; `http` was assumed.
    SchemeAssumed,
    /// The input was defanged and has been refanged.
    Refanged,
    /// A cryptocurrency address on a test network.
    Testnet,
    /// A phone number from a range reserved for fiction and drama.
    Fictitious,
}

impl Flag {
    /// All flags.
    pub const ALL: [Flag; 18] = [
        Flag::Private,
        Flag::Loopback,
        Flag::LinkLocal,
        Flag::Documentation,
        Flag::Reserved,
        Flag::Multicast,
        Flag::Unspecified,
        Flag::Broadcast,
        Flag::SharedAddressSpace,
        Flag::Benchmarking,
        Flag::ReservedTld,
        Flag::UnknownSuffix,
        Flag::PrivateAsn,
        Flag::HostBitsSet,
        Flag::SchemeAssumed,
        Flag::Refanged,
        Flag::Testnet,
        Flag::Fictitious,
    ];

    /// The kebab-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Flag::Private => "private",
            Flag::Loopback => "loopback",
            Flag::LinkLocal => "link-local",
            Flag::Documentation => "documentation",
            Flag::Reserved => "reserved",
            Flag::Multicast => "multicast",
            Flag::Unspecified => "unspecified",
            Flag::Broadcast => "broadcast",
            Flag::SharedAddressSpace => "shared-address-space",
            Flag::Benchmarking => "benchmarking",
            Flag::ReservedTld => "reserved-tld",
            Flag::UnknownSuffix => "unknown-suffix",
            Flag::PrivateAsn => "private-asn",
            Flag::HostBitsSet => "host-bits-set",
            Flag::SchemeAssumed => "scheme-assumed",
            Flag::Refanged => "refanged",
            Flag::Testnet => "testnet",
            Flag::Fictitious => "fictitious",
        }
    }

    /// Whether the flag means the value can never be real, routable
    /// infrastructure, so it must not reach a report as such.
    pub const fn is_non_routable(self) -> bool {
        matches!(
            self,
            Flag::Private
                | Flag::Loopback
                | Flag::LinkLocal
                | Flag::Documentation
                | Flag::Reserved
                | Flag::Multicast
                | Flag::Unspecified
                | Flag::Broadcast
                | Flag::SharedAddressSpace
                | Flag::Benchmarking
                | Flag::ReservedTld
                | Flag::PrivateAsn
        )
    }

    const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Flag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A small set of [`Flag`]s. Serialises as a list of names.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u32);

impl Flags {
    /// No flags.
    pub const fn empty() -> Self {
        Flags(0)
    }

    /// Whether no flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Adds a flag.
    pub fn insert(&mut self, flag: Flag) {
        self.0 |= flag.bit();
    }

    /// Whether the flag is set.
    pub const fn contains(self, flag: Flag) -> bool {
        self.0 & flag.bit() != 0
    }

    /// The union of two sets.
    #[must_use]
    pub const fn union(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// The flags set, in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| self.contains(*f))
    }

    /// Whether any flag says the value cannot be real infrastructure.
    pub fn is_non_routable(self) -> bool {
        self.iter().any(Flag::is_non_routable)
    }
}

impl From<Flag> for Flags {
    fn from(f: Flag) -> Self {
        Flags(f.bit())
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Self {
        let mut flags = Flags::empty();
        for f in iter {
            flags.insert(f);
        }
        flags
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let list = Vec::<Flag>::deserialize(d)?;
        Ok(list.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_operations_and_serde() {
        let mut f = Flags::empty();
        assert!(f.is_empty());
        f.insert(Flag::Private);
        f.insert(Flag::HostBitsSet);
        assert!(f.contains(Flag::Private) && !f.contains(Flag::Loopback));
        assert!(f.is_non_routable());
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"["private","host-bits-set"]"#
        );
        let back: Flags = serde_json::from_str(r#"["private","host-bits-set"]"#).unwrap();
        assert_eq!(back, f);
        assert!(!Flags::from(Flag::Refanged).is_non_routable());
    }
}
