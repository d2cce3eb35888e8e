//! Length-prefixed frames on the control channel: a 4-byte big-endian length, then that many
//! bytes of JSON. Frames over [`MAX_FRAME`] are refused before any allocation, so a peer
//! cannot make the other side reserve memory it did not send.

use crate::error::FleetError;
use crate::protocol::Msg;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest message accepted (16 MiB): a scenario, or one interval of a large plan.
pub const MAX_FRAME: usize = 16 << 20;

/// Writes one message; returns the bytes put on the wire (prefix included).
pub async fn write_msg<W: AsyncWrite + Unpin>(w: &mut W, msg: &Msg) -> Result<usize, FleetError> {
    let body = serde_json::to_vec(msg).map_err(|e| FleetError::Protocol(e.to_string()))?;
    if body.len() > MAX_FRAME {
        return Err(FleetError::Protocol(format!(
            "message of {} bytes is over the {MAX_FRAME}-byte limit",
            body.len()
        )));
    }
    let net = |e: std::io::Error| FleetError::Net(e.to_string());
    w.write_all(&(body.len() as u32).to_be_bytes())
        .await
        .map_err(net)?;
    w.write_all(&body).await.map_err(net)?;
    w.flush().await.map_err(net)?;
    Ok(body.len() + 4)
}

/// Reads one message; `Ok(None)` on a clean end of stream between frames.
pub async fn read_msg<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<(Msg, usize)>, FleetError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(FleetError::Net(e.to_string())),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(FleetError::Protocol(format!(
            "peer announced a {len}-byte message; the limit is {MAX_FRAME}"
        )));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)
        .await
        .map_err(|e| FleetError::Net(e.to_string()))?;
    let msg = serde_json::from_slice(&body)
        .map_err(|e| FleetError::Protocol(format!("undecodable message: {e}")))?;
    Ok(Some((msg, len + 4)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn oversized_and_garbage_frames_are_refused() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        a.write_all(&(u32::MAX).to_be_bytes()).await.unwrap();
        let e = read_msg(&mut b).await.unwrap_err();
        assert!(e.to_string().contains("limit"), "{e}");

        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        a.write_all(&5u32.to_be_bytes()).await.unwrap();
        a.write_all(b"{{{{{").await.unwrap();
        assert!(read_msg(&mut b).await.is_err());

        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        write_msg(&mut a, &Msg::Heartbeat).await.unwrap();
        drop(a);
        assert!(matches!(
            read_msg(&mut b).await.unwrap(),
            Some((Msg::Heartbeat, _))
        ));
        assert!(read_msg(&mut b).await.unwrap().is_none());
    }
}
