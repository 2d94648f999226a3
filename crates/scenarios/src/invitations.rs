//! The mediator invitations a run's holders onboard through: usually one, or several spread
//! over the users. A server may do work per invitation that grows with the connections made
//! through it (ACA-Py 0.12.8 reads every connection of a multi-use invitation on each new DID
//! exchange request), so spreading holders over several invitations tells that cost apart from
//! the cost of holding many holders.

use std::sync::Arc;

use didcomm::Invitation;

/// At least one invitation; user N takes invitation N mod count.
#[derive(Clone, Debug)]
pub struct MediatorInvitations(Arc<[Invitation]>);

impl MediatorInvitations {
    /// `None` when `invitations` is empty.
    pub fn new(invitations: Vec<Invitation>) -> Option<Self> {
        (!invitations.is_empty()).then(|| Self(invitations.into()))
    }

    pub fn one(invitation: Invitation) -> Self {
        Self(Arc::new([invitation]))
    }

    /// The invitation user `index` onboards through.
    pub fn for_user(&self, index: u64) -> &Invitation {
        // The modulo is below the length, which fits in usize.
        &self.0[(index % self.0.len() as u64) as usize]
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invitation(label: &str) -> Invitation {
        didcomm::parse_invitation(&format!(
            r#"{{"@type":"https://didcomm.org/connections/1.0/invitation","@id":"1","label":"{label}",
                "recipientKeys":["8HH5gYEeNc3z7PYXmd54d4x6qAfCNrqQqEB3nS7Zfu7K"],
                "serviceEndpoint":"http://127.0.0.1:1"}}"#
        ))
        .unwrap()
    }

    #[test]
    fn users_take_the_invitations_in_turn() {
        let all = MediatorInvitations::new(vec![invitation("a"), invitation("b"), invitation("c")])
            .unwrap();
        let labels: Vec<_> = (0..7)
            .map(|i| all.for_user(i).label.clone().unwrap_or_default())
            .collect();
        assert_eq!(labels, ["a", "b", "c", "a", "b", "c", "a"]);
        assert_eq!(all.len(), 3);
    }

    #[test]
    fn an_empty_list_is_refused() {
        assert!(MediatorInvitations::new(Vec::new()).is_none());
    }
}
