import XMLCoder
import Crypto
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
